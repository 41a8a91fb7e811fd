// ESLint for the browser pages: ES modules run as they are by the browser, no build step.
import js from "@eslint/js";
import globals from "globals";

export default [
  // Third-party bundles are copied in unchanged; their style is not ours to fix.
  { ignores: ["frontend/static/vendor/"] },
  js.configs.recommended,
  {
    files: ["frontend/static/**/*.js"],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      globals: globals.browser,
    },
  },
];
