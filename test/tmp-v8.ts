import { validate, compileErrors } from '@readme/openapi-parser';
import { OPENAPI_DOCUMENT } from '../src/rest/openapi/document.js';
const r = await validate(structuredClone(OPENAPI_DOCUMENT) as never);
console.log(r.valid, compileErrors(r), JSON.stringify(r.warnings));
