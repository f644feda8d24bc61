/**
 * Wrapping the models a provider hands out: the model observer (telemetry/model-observer.ts)
 * and the stored history (run/history.ts) each replace a model's calls and leave the rest of
 * it (retry advice, names, …) as the model has it.
 */
import type { Model, ModelProvider } from "@openai/agents";

type ModelCalls = Partial<Pick<Model, "getResponse" | "getStreamedResponse">>;

/** `model` with the given calls in place of its own. */
export function withCalls(model: Model, calls: ModelCalls): Model {
  return new Proxy(model, {
    get: (target, property, receiver) =>
      property in calls
        ? calls[property as keyof ModelCalls]
        : Reflect.get(target, property, receiver),
  });
}

/** `provider` with every model it hands out passed through `wrap`. */
export function wrapModels(provider: ModelProvider, wrap: (model: Model) => Model): ModelProvider {
  const getModel = async (name?: string) => wrap(await provider.getModel(name));
  return new Proxy(provider, {
    get: (target, property, receiver) =>
      property === "getModel" ? getModel : Reflect.get(target, property, receiver),
  });
}
