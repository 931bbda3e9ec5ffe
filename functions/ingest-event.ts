import type { CloudEventFunction } from '@google-cloud/functions-framework';
import type { Ingestor } from '../src/ingest/index.ts';

/**
 * `ingestEvent`: the CloudEvent function for Eventarc Pub/Sub triggers.
 * Returning acknowledges the event (stored, duplicate, quarantined, or
 * malformed beyond repair); a retryable failure throws so Eventarc retries.
 */
export function ingestEvent(ingestor: Ingestor): CloudEventFunction {
  return async (event) => {
    await ingestor.handleEvent(event);
  };
}
