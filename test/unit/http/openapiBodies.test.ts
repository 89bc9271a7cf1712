import { openApiDocument } from '../../../shared/api/openapi';

/** The JSON schema the OpenAPI document gives the body of `method path`. */
function bodySchema(method: string, path: string): Record<string, unknown> {
  const paths = openApiDocument('test').paths as Record<string, Record<string, any>>;
  return paths[path]![method]!.requestBody.content['application/json'].schema;
}

describe('the OpenAPI document of the policy changes', () => {
  it.each([
    ['post', '/policies'],
    ['put', '/policies/{id}'],
    ['delete', '/policies/{id}'],
  ])('describes the %s %s body as strictly as the handler reads it (no other properties)', (method, path) => {
    const schema = bodySchema(method, path);

    expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(schema.required).toContain('justification');
  });
});
