/** The embedded GitLab as the benchmark's upstream, in a process of its own, seeded with `BENCH_HOOKS` hooks. */
import { createEmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import { sampleProcess, serveBenchmark } from './protocol.ts';

export interface GitLabProcessOptions {
  adminToken: string;
  userToken: string;
  hooks: number;
}

serveBenchmark(async () => {
  const options = JSON.parse(process.argv[2] ?? '{}') as GitLabProcessOptions;
  const gitlab = createEmbeddedGitLab({ adminToken: options.adminToken, userToken: options.userToken });
  const url = await gitlab.listen();
  await gitlab.seed(
    Array.from({ length: options.hooks }, (_, i) => ({
      url: `https://hooks.example.com/${i + 1}/events`,
      name: `hook ${i + 1}`,
      description: 'Seeded by the benchmark.',
      push_events: true,
      merge_requests_events: i % 2 === 0,
    })),
  );
  // The log keeps every request; it is folded into a counter at each sample so that it does not grow for the
  // whole run.
  let upstream = 0;
  return {
    url,
    measure() {
      upstream += gitlab.requests.length;
      gitlab.resetRequestLog();
      return sampleProcess(upstream, upstream);
    },
    close: () => gitlab.close(),
  };
});
