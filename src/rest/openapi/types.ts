/**
 * The parts of an OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0) this API's description uses,
 * as types: the document is data checked by the compiler, not a file written by hand.
 */

/** A JSON Schema 2020-12 schema (OAS 3.1 §4.8.24), the keywords we use; `true`/`false` are schemas too. */
export type Schema = boolean | SchemaObject;

export interface SchemaObject {
  $ref?: string;
  title?: string;
  description?: string;
  type?: JsonType | readonly JsonType[];
  enum?: readonly (string | number | boolean)[];
  const?: string | number | boolean;
  default?: unknown;
  examples?: readonly unknown[];
  format?: 'date-time' | 'uri';
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: readonly string[];
  additionalProperties?: Schema;
  oneOf?: readonly Schema[];
  anyOf?: readonly Schema[];
  allOf?: readonly Schema[];
  not?: Schema;
  contentMediaType?: string;
}

export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

export interface Reference {
  $ref: string;
  description?: string;
}

export interface Header {
  description: string;
  required?: boolean;
  schema: Schema;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  description: string;
  required?: boolean;
  schema: Schema;
}

export interface MediaType {
  schema?: Schema;
  examples?: Record<string, { summary?: string; value: unknown }>;
}

export interface RequestBody {
  description: string;
  required: boolean;
  content: Record<string, MediaType>;
}

export interface Response {
  description: string;
  headers?: Record<string, Header | Reference>;
  content?: Record<string, MediaType>;
}

/** What an API key's scope must allow to call the operation (src/rest/route.ts `needs`): our extension. */
export type Needs = 'send' | 'read' | 'none';

export interface Operation {
  operationId: string;
  summary: string;
  description: string;
  tags: readonly string[];
  security?: readonly Record<string, readonly string[]>[];
  parameters?: readonly (Parameter | Reference)[];
  requestBody?: RequestBody;
  /** By status ('200', '4XX', 'default'): every answer the operation can give. */
  responses: Record<string, Response | Reference>;
  'x-mmsc-needs'?: Needs;
}

export type Method = 'get' | 'post' | 'delete' | 'put';
export type PathItem = Partial<Record<Method, Operation>>;

export type SecurityScheme =
  | { type: 'http'; scheme: 'basic' | 'bearer'; bearerFormat?: string; description: string }
  | { type: 'mutualTLS'; description: string };

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } };
  jsonSchemaDialect: string;
  tags: readonly { name: string; description: string }[];
  security: readonly Record<string, readonly string[]>[];
  paths: Record<string, PathItem>;
  webhooks: Record<string, PathItem>;
  components: {
    schemas: Record<string, Schema>;
    responses: Record<string, Response>;
    parameters: Record<string, Parameter>;
    headers: Record<string, Header>;
    securitySchemes: Record<string, SecurityScheme>;
  };
  /** What answers a request no operation takes (a path not described: 404; a method not described: 405). */
  'x-mmsc-unmatched': { path: Reference; method: Reference };
}
