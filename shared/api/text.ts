import { z } from 'zod';
import { freeTextProblem, identifierProblem, isBlankText, normalizeIdentifier } from '../domain/text';

// The text rules of shared/domain/text.ts as zod schemas, for the API's bodies and the catalogue's payloads.

type TextRule = (text: string) => string | undefined;

/** Adds an issue with the rule's message when `rule` refuses the string. */
const refusedBy = (rule: TextRule) => (value: string, context: z.RefinementCtx) => {
  const message = rule(value);
  if (message !== undefined) context.addIssue({ code: 'custom', message });
};

/**
 * An identifier (see shared/domain/text.ts): visible characters only, normalised (trimmed, NFC,
 * a GUID lower-cased) before anything compares or locks on it; 1..`max` characters.
 */
export const identifier = (max: number) =>
  z
    .string()
    .superRefine(refusedBy(identifierProblem))
    .transform(normalizeIdentifier)
    .pipe(z.string().min(1, 'must not be blank').max(max));

/** Free text (see shared/domain/text.ts), trimmed, at most `max` characters; `required` text must not be blank once invisible characters are removed. */
export const freeText = (max: number, required: boolean) =>
  z
    .string()
    .superRefine(refusedBy(freeTextProblem))
    .transform((value) => value.trim())
    .pipe(
      required
        ? z
            .string()
            .max(max)
            .refine((value) => !isBlankText(value), 'must not be blank')
        : z.string().max(max),
    );
