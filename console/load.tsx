import { useEffect, useState } from "hono/jsx/dom";
import { ApiFailure } from "./api";

/** Loads when `key` changes; a later load wins over an earlier one still running. */
export function useLoad<T>(load: () => Promise<T>, key: string) {
  const [state, setState] = useState<{ key: string; data?: T; error?: string }>({ key: "" });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ key, data: s.key === key ? s.data : undefined }));
    load().then(
      (data) => live && setState({ key, data }),
      (err) => live && setState({ key, error: err instanceof ApiFailure ? err.message : String(err) }),
    );
    return () => void (live = false);
  }, [key, tick]);
  return { data: state.key === key ? state.data : undefined, error: state.key === key ? state.error : undefined, reload: () => setTick((n) => n + 1) };
}

export function Failure(props: { error?: string }) {
  return props.error ? (
    <p class="error" role="alert">
      {props.error}
    </p>
  ) : null;
}
