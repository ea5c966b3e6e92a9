// As a Hydrogen app's env.d.ts: Hydrogen's React Router types declare the global `Env` that
// `context.env` has; affinity.server.ts merges Affinity's variables into it.
/// <reference types="@shopify/hydrogen/react-router-types" />
