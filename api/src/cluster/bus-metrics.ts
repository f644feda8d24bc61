/**
 * What the bus costs, on /metrics: messages sent and received, and the transport units they
 * took (NOTIFYs on Postgres). The bench reads `bus_notifications_total` for NOTIFY/s.
 */
import { busDropReasons } from "@trainer2/shared/bus";
import { Counter, type Registry } from "prom-client";
import type { Bus, BusStats } from "./bus.ts";

type CountField = Exclude<keyof BusStats, "dropped">;

export function registerBusMetrics(registry: Registry, bus: Bus): void {
  const counter = (name: string, help: string, field: CountField) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(bus.stats()[field]);
      },
    });
  counter("bus_messages_sent_total", "Messages this api process sent to its peers.", "sent");
  counter(
    "bus_notifications_total",
    "Notifications (Postgres NOTIFY payloads) those messages took.",
    "notifications",
  );
  counter(
    "bus_messages_received_total",
    "Messages this api process received from its peers.",
    "received",
  );
  new Counter({
    name: "bus_messages_dropped_total",
    help: "Bus payloads or messages received and dropped unread, by reason (unauthenticated: a forged NOTIFY).",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      const dropped = bus.stats().dropped;
      for (const reason of busDropReasons) this.inc({ reason }, dropped[reason]);
    },
  });
}
