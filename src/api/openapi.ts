import { z } from 'zod';
import type { Route } from './router.ts';

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of what a client sends or receives. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parametersOf(route: Route): JsonSchema[] {
  const out: JsonSchema[] = [];
  const add = (schema: z.ZodType | undefined, where: 'path' | 'query') => {
    if (!schema) return;
    const json = schemaOf(schema, 'input');
    const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      out.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        schema: property,
      });
    }
  };
  add(route.params, 'path');
  add(route.query, 'query');
  return out;
}

/**
 * The OpenAPI 3.1 document of a route table, generated from the same zod
 * schemas the router validates with (zod's own JSON Schema output).
 *
 * @example
 * const doc = openApiDocument(router.routes, { version: '0.1.0' });
 */
export function openApiDocument(
  routes: readonly Route[],
  info: { version: string; title?: string },
): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const responses: Record<string, JsonSchema> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      const content: Record<string, JsonSchema> = {};
      if (spec.schema) content['application/json'] = { schema: schemaOf(spec.schema, 'output') };
      if (spec.ndjsonLine) {
        content['application/x-ndjson'] = {
          schema: schemaOf(spec.ndjsonLine, 'output'),
          description: 'one JSON document per line',
        };
      }
      responses[status] = {
        description: spec.description,
        ...(Object.keys(content).length > 0 ? { content } : {}),
      };
    }
    responses['401'] ??= { description: 'No bearer token' };
    responses['403'] ??= { description: 'The bearer token is not accepted' };
    const operation: JsonSchema = {
      operationId: route.operationId,
      summary: route.summary,
      parameters: parametersOf(route),
      responses,
    };
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
      };
    }
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title ?? 'Cascade API', version: info.version },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
