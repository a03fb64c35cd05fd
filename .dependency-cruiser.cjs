/** Import rules checked by `npm run lint:deps` (part of `npm test`). */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Imports run one way: a circle, even of type-only imports, means two modules share a job or a type sits too high.",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Run on src/ turned into JavaScript by scripts/check-import-circles.mjs, type imports kept.
  },
};
