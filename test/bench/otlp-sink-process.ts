/**
 * The observability part's OpenTelemetry collector: the tests' OTLP/HTTP JSON receiver in a process of its own
 * (so that reading the exports is not charged to the gateway or the load generator), counting the spans it is
 * sent without keeping them. The command `'counts'` answers how many exports and spans arrived.
 */
import { startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { sampleProcess, serveBenchmark } from './protocol.ts';

serveBenchmark(async () => {
  const receiver = await startOtlpReceiver({ keep: false });
  return {
    url: receiver.url,
    measure: () => sampleProcess(receiver.counts().exports),
    close: () => receiver.close(),
    command: async (command: unknown) => {
      if (command === 'counts') return receiver.counts();
      throw new Error(`unknown command ${JSON.stringify(command)}`);
    },
  };
});
