/**
 * fast-check's run count for a property: `runs` unless `FUZZ_RUNS` sets another (`FUZZ_RUNS=5000` for a long
 * hunt). The counts stay small so that the suite stays fast; a failure prints its seed and shrunk value, which
 * replay it.
 */
export function propertyRuns(runs: number): { numRuns: number } {
  return { numRuns: Number(process.env.FUZZ_RUNS ?? runs) };
}
