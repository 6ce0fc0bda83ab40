// The on-call routes for the OpenAPI document (src/http/openapi.ts): what each reads and answers.
// Who may call a route, its body limits and its error answers come from src/http's route table; the
// schedule document is described by its own schema (src/routing's scheduleSchema).
import { z } from 'zod';
import type { ZodOpenApiOperationObject } from 'zod-openapi';
import { scheduleSchema } from '../../routing/index.js';
import { COLLECTIONS, slugOf } from '../collections.js';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const instant = z.string().describe('ISO 8601 date-time or date, read in the schedule\'s time zone');
const person = z.object({ id: z.string(), name: z.string() }).nullable();
const role = z.string().min(1).describe('a role id of the schedule');
const ifMatch = z.object({ 'if-match': z.string().optional().describe('the schedule version the change is based on, e.g. W/"3" (409 when it is not the stored one)') });
const etag = z.object({ etag: z.string().describe('W/"<schedule version>"') });
const saved = (description: string) => ({ description, headers: etag, content: json(z.object({ id: z.string(), version: z.number().int() })) });
const item = z.object({
  collection: z.enum(COLLECTIONS.map(slugOf) as [string, ...string[]]).describe('a collection of the schedule document (`routing-rules` is routing.rules)'),
  id: z.string().min(1),
});
const anItem = z.record(z.string(), z.unknown()).describe('one item of the collection, as in the schedule document');
const stretch = z.object({ primary: person, since: z.string().nullable(), until: z.string().nullable(), explanation: z.string() });

export const oncallApi = {
  'GET /oncall': {
    summary: 'Who is on call for a role at an instant, and the escalation chain',
    requestParams: { query: z.object({ role, at: instant.optional().describe('default now') }) },
    responses: { '200': { description: 'the assignment', content: json(z.object({ role: z.string(), at: z.string(), primary: person }).loose()) } },
  },
  'GET /oncall/next': {
    summary: 'When the person on call for a role next changes, and who follows',
    requestParams: { query: z.object({ role, at: instant.optional().describe('default now') }) },
    responses: { '200': { description: 'this stretch and the next', content: json(z.object({ role: z.string(), at: z.string(), current: stretch, next: stretch.nullable() })) } },
  },
  'GET /oncall/coverage': {
    summary: 'A role\'s coverage over a window, as segments',
    requestParams: { query: z.object({ role, from: instant.optional().describe('default now'), to: instant.optional().describe('default from + the look-ahead') }) },
    responses: { '200': { description: 'the segments', content: json(z.object({ role: z.string(), timeZone: z.string(), from: z.string(), to: z.string(), segments: z.array(z.record(z.string(), z.unknown())) })) } },
  },
  'GET /schedule': {
    summary: 'The stored schedule document (webhook secrets not shown)',
    responses: { '200': { description: 'the document', headers: etag, content: json(scheduleSchema) } },
  },
  'PUT /schedule': {
    summary: 'Replace the schedule document (checked whole before it is stored)',
    requestParams: { header: ifMatch },
    requestBody: { required: true, content: { ...json(scheduleSchema), 'application/yaml': { schema: scheduleSchema } } },
    responses: { '200': saved('stored'), '409': { description: 'the stored version is not the one named by If-Match' }, '422': { description: 'over a limit of the schedule checker (the message names the setting)' }, '429': { description: 'the schedule checker is busy' } },
  },
  'GET /schedule/lint': {
    summary: 'Findings on the stored schedule over a window (gaps, overlaps, references)',
    requestParams: { query: z.object({ from: instant.optional(), to: instant.optional() }) },
    responses: { '200': { description: 'the findings', headers: etag, content: json(z.object({ version: z.number().int(), from: z.string(), to: z.string(), findings: z.array(z.record(z.string(), z.unknown())) })) } },
  },
  'POST /schedule/import': {
    summary: 'Merge an iCalendar feed into the stored schedule',
    requestParams: {
      header: ifMatch,
      query: z.object({
        mapping: z.string().optional().describe('the feed mapping (JSON), when the body is text/calendar'),
        from: instant.optional(), to: instant.optional(), layer: z.string().optional(),
      }),
    },
    requestBody: {
      required: true,
      content: {
        'text/calendar': { schema: z.string().describe('an RFC 5545 calendar') },
        'multipart/form-data': { schema: z.object({ calendar: z.string().describe('the .ics file'), mapping: z.string().describe('the feed mapping (JSON)') }) },
      },
    },
    responses: {
      '200': { description: 'merged', headers: etag, content: json(z.object({ id: z.string(), version: z.number().int(), shifts: z.number().int(), skipped: z.unknown() })) },
      '409': { description: 'the stored version is not the one named by If-Match' },
      '422': { description: 'the feed expands past a limit (the message names the setting)' },
    },
  },
  'GET /schedule/:collection/:id': { summary: 'One item of the schedule', requestParams: { path: item }, responses: { '200': { description: 'the item', headers: etag, content: json(anItem) } } },
  'PUT /schedule/:collection/:id': {
    summary: 'Add or replace one item (the whole document is checked again)',
    requestParams: { path: item, header: ifMatch },
    requestBody: { required: true, content: json(anItem) },
    responses: { '200': saved('replaced'), '201': saved('added'), '409': { description: 'the stored version is not the one named by If-Match' } },
  },
  'DELETE /schedule/:collection/:id': {
    summary: 'Remove one item (refused while another item names it)',
    requestParams: { path: item, header: ifMatch },
    responses: { '200': saved('removed'), '409': { description: 'the stored version is not the one named by If-Match' } },
  },
} satisfies Record<string, ZodOpenApiOperationObject>;
