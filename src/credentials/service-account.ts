import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { CascadeError } from '../errors.ts';

/** The fields of a service-account key Cascade uses (the rest are kept but unchecked). */
const serviceAccountSchema = z.looseObject({
  type: z.literal('service_account'),
  project_id: z.string().min(1),
  private_key_id: z.string().min(1),
  private_key: z.string().startsWith('-----BEGIN PRIVATE KEY-----'),
  client_email: z.email(),
});

export type ServiceAccountKey = z.output<typeof serviceAccountSchema>;

/**
 * Parses a service-account JSON given raw or base64-encoded, and checks it
 * before any client uses it (shape, and that the private key really parses).
 * Error messages name the problem, never the content.
 *
 * @throws CascadeError INVALID_CONFIG
 * @example
 * const key = parseServiceAccountKey(text, 'CASCADE_CREDENTIALS_JSON');
 */
export function parseServiceAccountKey(text: string, source: string): ServiceAccountKey {
  const trimmed = text.trim();
  let json: string = trimmed;
  if (!trimmed.startsWith('{')) {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
      throw invalid(source, 'neither JSON nor base64');
    }
    json = Buffer.from(trimmed, 'base64').toString('utf8').trim();
    if (!json.startsWith('{')) throw invalid(source, 'base64 that does not decode to JSON');
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw invalid(source, 'text that is not valid JSON');
  }
  const parsed = serviceAccountSchema.safeParse(value);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)');
    throw invalid(source, `a JSON object with wrong or missing fields: ${fields.join(', ')}`);
  }
  try {
    createPrivateKey(parsed.data.private_key);
  } catch (cause) {
    throw invalid(source, 'a private_key that does not parse as a PEM private key', cause);
  }
  return parsed.data;
}

function invalid(source: string, got: string, cause?: unknown): CascadeError {
  // The cause of a key parse failure is from node:crypto and carries no key material.
  return new CascadeError(
    'INVALID_CONFIG',
    `${source}: got ${got}; expected a service-account key JSON (type service_account, project_id, private_key_id, private_key, client_email)`,
    { retryable: false, cause, details: { source } },
  );
}
