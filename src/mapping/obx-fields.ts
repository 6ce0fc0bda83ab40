// One OBX read once, by position: the fields the Observation mapping needs, each exactly as val()
// reads it. Mapping an OBX read ~25 values one call at a time, several of them twice (OBX-3, OBX-5,
// OBX-11); this view reads each field once and the mapping works on plain strings (CPU profile).
import type { Segment } from '../hl7/index.js';
import { type FieldValues, fieldValues, present, presentAll } from './datatypes.js';

export interface ObxFields {
  readonly seg: Segment;
  /** OBX-2 value type, upper-cased; '' when absent. */
  readonly type: string;
  /** OBX-3 observation identifier (CWE); [] when the field is empty. */
  readonly id: FieldValues;
  /** OBX-4 observation sub-id. */
  readonly subId: string | undefined;
  /** OBX-3.1|OBX-4 as the Observation's key has them ("" and blanks absent): what a repeated result is counted by. */
  readonly pair: string;
  /** OBX-5 (component 1 of repetition 0): the value of the simple types (NM, DT, DTM, TM). */
  readonly value: string | undefined;
  /** OBX-6 units (CWE): [0] text, [1] name, [2] coding system. */
  readonly units: FieldValues;
  /** OBX-7 reference range text. */
  readonly range: string | undefined;
  /** OBX-11 result status. */
  readonly status: string | undefined;
  /** OBX-14 date/time of the observation (raw). */
  readonly time: string | undefined;
  /** OBX-23 performing organization name (XON-1). */
  readonly organization: string | undefined;
}

export function readObx(obx: Segment): ObxFields {
  const id = obx.componentValues(3);
  const subId = obx.value(4);
  const values = presentAll(id);
  const sub = present(subId);
  return {
    seg: obx,
    type: (present(obx.value(2)) ?? '').toUpperCase(),
    id: values,
    subId: sub,
    // the very parts of the Observation's key (mapObservation): counted on anything else, two OBX
    // whose sub-ids differed only as blank and empty got one key and one fullUrl (found by fuzzing)
    pair: `${values[0] ?? ''}|${sub ?? ''}`,
    value: present(obx.value(5)),
    units: fieldValues(obx, 6),
    range: present(obx.value(7)),
    status: present(obx.value(11)),
    time: present(obx.value(14)),
    organization: present(obx.value(23)),
  };
}
