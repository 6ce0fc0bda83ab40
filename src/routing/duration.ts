import { Duration } from 'luxon';

/**
 * ISO 8601 durations of days, hours, minutes and seconds (`P1D`, `PT5M`, `PT20S`, `PT1.5S`): exact
 * lengths, so no years or months (whose length depends on the calendar). Parsed by luxon.
 */
export const ISO_DURATION = /^P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,3})?S)?)?$/;

/** The duration's length in ms; NaN when it is not one ISO_DURATION accepts. */
export const durationMs = (text: string): number => {
  if (!ISO_DURATION.test(text)) return Number.NaN;
  const d = Duration.fromISO(text);
  return d.isValid ? d.toMillis() : Number.NaN;
};
