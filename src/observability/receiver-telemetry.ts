/** The system hook receiver's outcomes, counted and put on the delivery's span. */
import { systemHookEventInfo } from '../events/catalogue.ts';
import type { SystemHookReceiverOptions } from '../http/receiver.ts';
import type { RequestRecords } from './request-record.ts';
import { ATTR_WEBHOOK_EVENT_NAME, ATTR_WEBHOOK_OUTCOME } from './semconv.ts';
import type { Telemetry } from './telemetry.ts';

export type ReceiverHooks = Pick<SystemHookReceiverOptions, 'onRefused' | 'onAccepted'>;

export function receiverHooks({ metrics }: Telemetry, records: RequestRecords): ReceiverHooks {
  return {
    onRefused(reason, request) {
      metrics?.delivery(reason);
      records.of(request)?.span?.setAttribute(ATTR_WEBHOOK_OUTCOME, reason);
    },
    onAccepted(event, { duplicate }, request) {
      const outcome = duplicate ? 'duplicate' : 'accepted';
      metrics?.delivery(outcome);
      const span = records.of(request)?.span;
      if (!span) return;
      span.setAttribute(ATTR_WEBHOOK_OUTCOME, outcome);
      // The name is the payload's: only one of the catalogue's names is kept.
      span.setAttribute(
        ATTR_WEBHOOK_EVENT_NAME,
        systemHookEventInfo(event.eventName) ? event.eventName : 'unknown',
      );
    },
  };
}
