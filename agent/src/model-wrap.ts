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

/**
 * `provider` with every model it hands out passed through `wrap`, once per model: the SDK asks
 * for the model on every model call, and the provider hands out the same one.
 */
export function wrapModels(provider: ModelProvider, wrap: (model: Model) => Model): ModelProvider {
  const wrapped = new WeakMap<Model, Model>();
  const getModel = async (name?: string) => {
    const model = await provider.getModel(name);
    const known = wrapped.get(model);
    if (known) return known;
    const fresh = wrap(model);
    wrapped.set(model, fresh);
    return fresh;
  };
  return new Proxy(provider, {
    get: (target, property, receiver) =>
      property === "getModel" ? getModel : Reflect.get(target, property, receiver),
  });
}
