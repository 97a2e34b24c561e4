/**
 * The messages the create and update endpoints derive from the model's errors (`WebHooks::CreateService`,
 * `save_hook`), the same in every scope.
 */
import type { ModelError } from './hook-model.ts';

/** ActiveModel's `full_message`: the humanized attribute name, then the message; an error on `base` is bare. */
function fullMessage({ attribute, message }: ModelError): string {
  if (attribute === 'base') return message;
  const human = attribute.replaceAll('_', ' ');
  return `${human.charAt(0).toUpperCase()}${human.slice(1)} ${message}`;
}

/** ActiveSupport's `Array#to_sentence`. */
function toSentence(parts: string[]): string {
  if (parts.length <= 2) return parts.join(' and ');
  return `${parts.slice(0, -1).join(', ')}, and ${parts[parts.length - 1]}`;
}

const hasErrorOn = (errors: ModelError[], attribute: string) =>
  errors.some((error) => error.attribute === attribute);

/** `WebHooks::CreateService#execute` after a failed save: the message of its `422 {"error": ...}`. */
export function createFailureMessage(errors: ModelError[]): string {
  if (hasErrorOn(errors, 'url')) return 'Invalid url given';
  if (hasErrorOn(errors, 'push_events_branch_filter')) return 'Invalid branch filter given';
  if (hasErrorOn(errors, 'custom_headers')) return 'Custom headers must be a valid json schema';
  return toSentence(errors.map(fullMessage));
}

/** `save_hook` after a failed update: a Grape error string, or the `render_validation_error!` hash. */
export function updateFailure(
  errors: ModelError[],
): { error: string } | { message: Record<string, string[]> } {
  if (hasErrorOn(errors, 'url')) return { error: 'Invalid url given' };
  if (hasErrorOn(errors, 'push_events_branch_filter')) return { error: 'Invalid branch filter given' };
  if (hasErrorOn(errors, 'custom_headers')) return { error: 'Custom headers validation failed' };
  const message: Record<string, string[]> = {};
  for (const { attribute, message: text } of errors) {
    const list = message[attribute] ?? [];
    list.push(text);
    message[attribute] = list;
  }
  return { message };
}
