/**
 * `npm run gitlab`: the embedded GitLab alone, with no hooks, until SIGTERM or SIGINT.
 */
import { describeToken, loadEmbeddedGitLabConfig } from './config.ts';
import { createEmbeddedGitLab, SYSTEM_HOOK_EVENTS_PATH, WEBHOOK_EVENTS_PATH } from './index.ts';

async function main(): Promise<void> {
  const config = loadEmbeddedGitLabConfig(process.env);
  const gitlab = createEmbeddedGitLab(config);
  const url = await gitlab.listen();
  console.log(`Embedded GitLab listening on ${url}/api/v4`);
  console.log(`  admin token: ${describeToken(config.adminToken, config.adminTokenFrom)}`);
  console.log(`  user token:  ${describeToken(config.userToken, config.userTokenFrom)}`);
  console.log(`  emit system hook events: POST ${url}${SYSTEM_HOOK_EVENTS_PATH} (not GitLab's API)`);
  console.log(`  fire project and group events: POST ${url}${WEBHOOK_EVENTS_PATH} (not GitLab's API)`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    await gitlab.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
