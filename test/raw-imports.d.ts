// Vite's `?raw` import: a file's text, inlined when the test module is transformed (workerd has no filesystem).
declare module "*?raw" {
  const text: string;
  export default text;
}
