import type { QuarantineRules } from '../config/index.ts';
import type { IngestMessage } from './types.ts';

const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * Checks a well-formed message against its stream's rules. Returns the
 * first rule broken (a short reason, never payload content), or null.
 *
 * @example
 * checkStreamRules(message, stream.rules); // 'data is 11000000 bytes, over the limit of 10000000'
 */
export function checkStreamRules(message: IngestMessage, rules: QuarantineRules): string | null {
  if (message.data.byteLength > rules.maxMessageBytes) {
    return `data is ${message.data.byteLength} bytes, over the limit of ${rules.maxMessageBytes}`;
  }
  const keys = Object.keys(message.attributes);
  if (keys.length > rules.maxAttributes) {
    return `${keys.length} attributes, over the limit of ${rules.maxAttributes}`;
  }
  for (const key of keys) {
    if (utf8Length(key) > rules.maxAttributeKeyBytes) {
      return `an attribute key is ${utf8Length(key)} bytes, over the limit of ${rules.maxAttributeKeyBytes}`;
    }
    const value = message.attributes[key] as string;
    if (utf8Length(value) > rules.maxAttributeValueBytes) {
      return `attribute ${JSON.stringify(key.slice(0, 64))} is ${utf8Length(value)} bytes, over the limit of ${rules.maxAttributeValueBytes}`;
    }
  }
  if (utf8Length(message.orderingKey) > rules.maxOrderingKeyBytes) {
    return `ordering key is ${utf8Length(message.orderingKey)} bytes, over the limit of ${rules.maxOrderingKeyBytes}`;
  }
  for (const required of rules.requiredAttributes) {
    if (!(required in message.attributes))
      return `required attribute ${JSON.stringify(required)} is missing`;
  }
  if (rules.requireJson) {
    try {
      JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(message.data));
    } catch {
      return 'data is not a UTF-8 JSON document';
    }
  }
  return null;
}
