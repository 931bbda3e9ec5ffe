import { ENV_VARS } from './env-schema.ts';

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/**
 * The environment variable table (variable, default, required, meaning) as
 * Markdown, generated from {@link ENV_VARS}. README.md and
 * docs/configuration.md both carry it; a unit test compares them with this.
 */
export function renderEnvVarTable(): string {
  const rows = ENV_VARS.map((v) => {
    const fallback = v.default === undefined ? '' : `\`${v.default}\``;
    const required = v.required === true ? 'yes' : v.required === false ? '' : v.required;
    return `| \`${v.name}\` | ${cell(fallback)} | ${cell(required)} | ${cell(v.description)} |`;
  });
  return ['| variable | default | required | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/**
 * Renders docs/configuration.md from the schema, so the documented table
 * cannot drift from what {@link loadConfig} accepts (a unit test compares
 * the file with this output).
 */
export function renderConfigurationDoc(): string {
  return `<!-- Generated from src/config (renderConfigurationDoc); test/unit/config checks it. Regenerate: UPDATE_DOCS=1 npm run test:unit -->
# Functions, configuration and credentials

## Functions

| function | trigger | what it does |
|---|---|---|
| \`ingest\` | HTTP (Pub/Sub push subscription) | Verifies the push OIDC token, reads the wrapped envelope or an unwrapped body (\`x-goog-pubsub-*\` headers with \`write_metadata\`, or \`?subscription=\` on the endpoint without it), routes by subscription, appends to the stream's log and answers 200 only once the message is durable or a proven duplicate. |
| \`ingestEvent\` | CloudEvent (Eventarc \`google.cloud.pubsub.topic.v1.messagePublished\`) | Same path; a retryable failure throws so Eventarc retries, a message that breaks a stream rule is quarantined and acknowledged. |
| \`api\` | HTTP (IAM invoker, optional bearer token) | The HTTP API under \`/v1\`: streams and partitions, records by offset or time (JSON pages or NDJSON), replay jobs, subscription seek and snapshots, quarantine; OpenAPI at \`/v1/openapi.json\`. |
| \`scheduler\` | HTTP (Cloud Scheduler) | One bounded tick (\`CASCADE_SCHEDULER_BUDGET_MS\`): replay slices under CAS leases, snapshot rotation, compaction and retention of every partition. |

Answers of \`ingest\`: 200 stored, duplicate or quarantined; 400 not a Pub/Sub push request (not JSON, wrong shape, bad base64, body over \`CASCADE_MAX_REQUEST_BYTES\`); 401 missing or invalid token; 403 token valid but not the stream's audience/service account, or email not verified; 404 no stream for the subscription; 429 backpressure or storage rate limit; 503 storage unavailable or contention. Pub/Sub redelivers every non-2xx answer with backoff. Errors have one shape: \`{"error": {"code": <HTTP status>, "status": "<CascadeError code>", "message", "details"}}\`. One exception: a body declared \`application/json\` that is not JSON is refused with 400 by functions-framework's body parser before Cascade sees it, so that 400 carries the framework's body.

Unwrapped pushes: every header that is not part of the HTTP hop becomes an attribute, with its name lower-cased (HTTP header names are case-insensitive). Without \`write_metadata\` there is no message id, so each delivery is stored with a fresh id and redeliveries cannot be deduplicated.

## Environment variables

All configuration comes from these variables, parsed once at cold start; an invalid configuration stops the function from starting and lists every problem.

${renderEnvVarTable()}

## The streams document

JSON, inline in \`CASCADE_STREAMS\` or in the file named by \`CASCADE_STREAMS_FILE\`:

\`\`\`json
{
  "bucket": "my-archive",
  "prefix": "cascade/",
  "pushAuth": { "audience": "https://ingest-xyz.a.run.app", "email": "push@my-project.iam.gserviceaccount.com" },
  "streams": [
    {
      "name": "orders",
      "subscription": "projects/my-project/subscriptions/orders-push",
      "partitions": 4,
      "partitionKey": { "attribute": "customer" },
      "lingerMs": 20,
      "rules": { "maxMessageBytes": 1000000, "requiredAttributes": ["customer"] }
    }
  ]
}
\`\`\`

| field | default | meaning |
|---|---|---|
| \`bucket\` | | Bucket (or \`CASCADE_BUCKET\`). |
| \`prefix\` | \`""\` | Object name prefix, '' or segments ending in \`/\`. |
| \`pushAuth\` | | Default \`{ audience, email }\` expected in push tokens. |
| \`streams[].name\` | | Stream name, \`[a-z0-9_-]\`. |
| \`streams[].subscription\` | | The push subscription feeding it, \`projects/p/subscriptions/s\`. |
| \`streams[].topic\` | | Optional \`projects/p/topics/t\`: routes Eventarc events whose subscription Eventarc named. |
| \`streams[].partitions\` | \`1\` | Partition count. |
| \`streams[].partitionKey.attribute\` | | Key = ordering key, else this attribute, else message id. |
| \`streams[].lingerMs\` | \`20\` | Group-commit window. |
| \`streams[].maxBatchBytes\` | \`8388608\` | Bytes per data object. |
| \`streams[].maxBatchRecords\` | \`10000\` | Records per data object. |
| \`streams[].dedupWindowMs\` | \`600000\` | Redeliveries within this window are acknowledged without a new record. |
| \`streams[].maxPendingBytes\` | \`67108864\` | Memory bound per partition; past it pushes get 429. |
| \`streams[].pushAuth\` | document's | \`{ audience, email }\` for this stream. |
| \`streams[].rules\` | Pub/Sub's limits | \`maxMessageBytes\` (10000000), \`maxAttributes\` (100), \`maxAttributeKeyBytes\` (256), \`maxAttributeValueBytes\` (1024), \`maxOrderingKeyBytes\` (1024), \`requiredAttributes\` ([]), \`requireJson\` (false). A message breaking one is written to \`<prefix><stream>/quarantine/\` and acknowledged. |

## Credentials

Resolved once at cold start, in this order, and passed explicitly to the Storage, Pub/Sub and Secret Manager clients:

1. \`CASCADE_CREDENTIALS_JSON\`: a service-account JSON, raw or base64, validated (fields and private key) before use.
2. \`CASCADE_CREDENTIALS_SECRET\`: a Secret Manager version (\`projects/p/secrets/s/versions/latest\`) holding that JSON, read with the function's own identity and cached for the life of the instance.
3. Otherwise ambient identity: the function's service account through the metadata server.

Cascade never reads a key file: a \`GOOGLE_APPLICATION_CREDENTIALS\` path stops the function with an explanation, unless \`CASCADE_ALLOW_KEY_FILE=true\` (local development only; a warning is logged). Secret values are never logged or echoed in configuration errors.
`;
}
