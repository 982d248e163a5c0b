import { z } from 'zod';
import { parseAllowPath } from '../../mask/paths.js';

const jsonPath = z.string().superRefine((p, ctx) => {
  try {
    parseAllowPath(p);
  } catch {
    ctx.addIssue({ code: 'custom', message: `not a JSON path like $.options.escalation_message: ${p}` });
  }
});

/** One entry of the functional-field catalogue: on these routes, these JSON paths route notifications. */
export const functionalFieldEntry = z
  .object({
    /** Name shown in docs and in `disable` (e.g. `monitors`). */
    resource: z.string().regex(/^[a-z][a-z0-9_-]*$/),
    /** Methods the entry applies to (request and response bodies alike). */
    methods: z.array(z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])).min(1),
    /** Path globs: `*` one segment, `**` any. */
    paths: z.array(z.string().startsWith('/')).min(1),
    /** Text fields in which `@handle` notification mentions are kept (`$.message`). */
    text: z.array(jsonPath).default([]),
    /** Fields whose whole value is one recipient handle (`$.notify_list[*]`). */
    handles: z.array(jsonPath).default([]),
  })
  .strict();

/** `masking.functional_fields`: notification handles in these fields are forwarded intact (see src/mask/functional-fields.ts). */
export const functionalFieldsSection = z
  .object({
    /** Use keyward's built-in catalogue of Datadog resources. */
    builtin: z.boolean().default(true),
    /** Built-in resources to leave out (`monitors`, `dashboards`, …). */
    disable: z.array(z.string()).default([]),
    /** Extra entries, tried with the built-in ones. */
    fields: z.array(functionalFieldEntry).default([]),
    /** The audit copy (and the approver's view): `keep` handles as forwarded, or `mask` them there too. */
    audit: z.enum(['keep', 'mask']).default('keep'),
  })
  .strict();

export type FunctionalFieldEntry = z.output<typeof functionalFieldEntry>;
export type FunctionalFieldsConfig = z.output<typeof functionalFieldsSection>;
