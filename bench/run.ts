/**
 * `npm run bench`: every benchmark, one after another, each printing its figures beside a
 * baseline measured in the same run (the machine is shared; only ratios and medians mean much).
 * Narrow it with names: `npm run bench -- sm2`.
 */
const benches: Record<string, () => Promise<{ run(): Promise<unknown> }>> = {
  sm2: () => import('./sm2.ts'),
  issuance: () => import('./issuance.ts'),
  verify: () => import('./verify.ts'),
  documents: () => import('./documents.ts'),
};

const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : Object.keys(benches);
for (const name of names) {
  const load = benches[name];
  if (!load) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n== ${name} ==`);
  await (await load()).run();
}
