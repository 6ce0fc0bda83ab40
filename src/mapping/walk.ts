// Groups a message's segments into patients, visits, orders and results (the ORU_R01 and ADT_A01
// abstract structures, read leniently) and writes the report entry of every segment that is not
// mapped: ignored ones with the reason, unknown ones (Z-segments and the unexpected) kept by name.
import type { Segment } from '../hl7/index.js';
import { boundedRepetitions, type MapContext, truncatedLine } from './context.js';
import { MAX_TEXT_LINES } from './limits.js';
import { IGNORED_SEGMENTS } from './report.js';

export interface ResultSegment { obx: Segment; index: number; notes: string[] }
export interface OrderGroup { orc?: Segment; obr?: Segment; index: number; notes: string[]; results: ResultSegment[]; specimens: { spm: Segment; index: number }[] }
export interface PatientBlock { pid: Segment; index: number; nk1: Segment[]; pv1?: { seg: Segment; index: number }; groups: OrderGroup[]; results: ResultSegment[] }
export interface Walk { evn?: Segment; patients: PatientBlock[] }

/**
 * NTE-3 (FT, repeating) as one text, one line per repetition (at most MAX_TEXT_LINES); \.br\ is
 * already decoded to a line break by the parser.
 */
function noteText(ctx: MapContext, nte: Segment): string | undefined {
  const lines: string[] = [];
  for (let r = 0, n = boundedRepetitions(ctx, nte, 3, MAX_TEXT_LINES); r < n; r++) lines.push(nte.components(3, r).join('^'));
  if (nte.repetitionCount(3) > lines.length) lines.push(truncatedLine(lines.length, nte.repetitionCount(3)));
  const t = lines.join('\n').trim();
  return t === '' || t === '""' ? undefined : t;
}

// a function, not a closure made per segment: the bench's loader (tsx, keepNames) names every
// `const f = () => ...` with Object.defineProperty, which was ~6% of mapping an ORU (CPU profile)
function ignore(report: MapContext['report'], segment: string, index: number, reason: string): void {
  report.ignored.push({ segment, index, reason });
}

export function walk(ctx: MapContext): Walk {
  const out: Walk = { patients: [] };
  let patient: PatientBlock | undefined;
  let group: OrderGroup | undefined;
  let last: { notes: string[]; name: string } | undefined;
  const { report } = ctx;
  const segments = ctx.message.segments;
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    switch (seg.name) {
      case 'EVN': out.evn = seg; last = undefined; break;
      case 'PID':
        patient = { pid: seg, index: i, nk1: [], groups: [], results: [] };
        out.patients.push(patient);
        group = undefined; last = undefined;
        break;
      case 'NK1': if (patient) patient.nk1.push(seg); else ignore(report, seg.name, i, 'NK1 before any PID'); break;
      case 'PV1': if (patient && !patient.pv1) patient.pv1 = { seg, index: i }; else ignore(report, seg.name, i, patient ? 'second PV1 for one patient' : 'PV1 before any PID'); break;
      case 'ORC': case 'OBR': {
        if (!patient) { ignore(report, seg.name, i, `${seg.name} before any PID`); break; }
        const joins = seg.name === 'OBR' && group !== undefined && group.orc !== undefined && group.obr === undefined;
        if (!joins) { group = { index: i, notes: [], results: [], specimens: [] }; patient.groups.push(group); }
        if (seg.name === 'ORC') group!.orc = seg; else group!.obr = seg;
        last = { notes: group!.notes, name: seg.name };
        break;
      }
      case 'OBX': {
        if (!patient) { ignore(report, seg.name, i, 'OBX before any PID'); break; }
        const r: ResultSegment = { obx: seg, index: i, notes: [] };
        (group ? group.results : patient.results).push(r);
        last = { notes: r.notes, name: 'OBX' };
        break;
      }
      case 'SPM': if (group) group.specimens.push({ spm: seg, index: i }); else ignore(report, seg.name, i, 'SPM outside an order'); break;
      case 'NTE': {
        const text = noteText(ctx, seg);
        if (!last) ignore(report, seg.name, i, 'NTE that follows no order or result (patient or message notes are not mapped)');
        else if (!text) ignore(report, seg.name, i, 'empty NTE');
        else { last.notes.push(text); report.mapped.push({ segment: 'NTE', index: i, to: [last.name === 'OBX' ? 'Observation.note' : 'ServiceRequest.note'] }); }
        break;
      }
      default: {
        const reason = IGNORED_SEGMENTS[seg.name];
        if (reason) ignore(report, seg.name, i, reason);
        else report.unknown.push({ segment: seg.name, index: i });
      }
    }
  }
  return out;
}
