// Types for bench/floor-worker.js, so that a TypeScript test can import it.
declare const floorWorker: {
  fetch(request: Request, env: { UPSTREAM_BASE_URL?: string }): Promise<Response>;
};
export default floorWorker;
