import type { State, Workout } from "@trainer2/shared/wire";
import type { ComponentProps } from "react";
import { AccountSection } from "./account-section";
import { BudgetBar } from "./budget-bar";
import { TrainingChart } from "./training-chart";
import "./state-panel.css";

type Props = {
  state: State | null;
  loading: boolean;
  /** "Your data": download it, delete the account. */
  account: Omit<ComponentProps<typeof AccountSection>, "email">;
};

const experience = { beginner: "Beginner", intermediate: "Intermediate", advanced: "Advanced" };

function Field({ label, value, testId }: { label: string; value: string | null; testId: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId} className={value ? undefined : "muted"}>
        {value || "Not set"}
      </dd>
    </>
  );
}

function WorkoutItem({ workout }: { workout: Workout }) {
  const details = [
    workout.durationMin ? `${workout.durationMin} min` : null,
    workout.exercises.length
      ? `${workout.exercises.length} exercise${workout.exercises.length > 1 ? "s" : ""}`
      : null,
  ].filter(Boolean);
  return (
    <li className="workout" data-testid="workout">
      <span className="workout-kind">{workout.kind}</span>
      <span className="muted small">
        {workout.performedOn}
        {details.length ? ` · ${details.join(" · ")}` : ""}
      </span>
      {workout.notes ? <span className="small">{workout.notes}</span> : null}
    </li>
  );
}

export function StatePanel({ state, loading, account }: Props) {
  const profile = state?.profile;
  return (
    <aside
      id="state-panel"
      className="panel"
      aria-label="Your training profile"
      data-testid="state-panel"
    >
      <BudgetBar budget={state?.budget} />
      <section>
        <h2>Profile</h2>
        {loading ? <p className="muted">Loading…</p> : null}
        {profile ? (
          <dl className="fields">
            <Field
              label="Name"
              value={profile.displayName ?? state?.user.name ?? null}
              testId="profile-name"
            />
            <Field label="Goal" value={profile.goals} testId="profile-goals" />
            <Field
              label="Experience"
              value={profile.experienceLevel ? experience[profile.experienceLevel] : null}
              testId="profile-experience"
            />
            <Field
              label="Equipment"
              value={profile.equipment.join(", ")}
              testId="profile-equipment"
            />
            <Field label="Limitations" value={profile.limitations} testId="profile-limitations" />
            <Field label="Units" value={profile.units} testId="profile-units" />
          </dl>
        ) : null}
      </section>
      {state ? (
        <section>
          <h2>Training</h2>
          <TrainingChart weeks={state.trainingWeeks} />
        </section>
      ) : null}
      <section>
        <h2>Recent workouts</h2>
        {state && state.workouts.length === 0 ? (
          <p className="muted small">No workouts logged yet.</p>
        ) : null}
        <ul className="workouts">
          {(state?.workouts ?? []).slice(0, 5).map((workout) => (
            <WorkoutItem key={workout.id} workout={workout} />
          ))}
        </ul>
      </section>
      {state ? <AccountSection email={state.user.email} {...account} /> : null}
    </aside>
  );
}
