import t from 'tap';
import { parseTimeArg } from '../../../src/cli/time-arg.js';

const now = new Date('2026-03-10T15:30:00Z');

t.test('cli times: spans back from now, named days in UTC, ISO dates', async (t) => {
  t.equal(parseTimeArg('24h', now).toISOString(), '2026-03-09T15:30:00.000Z');
  t.equal(parseTimeArg('7d', now).toISOString(), '2026-03-03T15:30:00.000Z');
  t.equal(parseTimeArg('90m', now).toISOString(), '2026-03-10T14:00:00.000Z');
  t.equal(parseTimeArg('2w', now).toISOString(), '2026-02-24T15:30:00.000Z');
  t.equal(parseTimeArg('30s', now).toISOString(), '2026-03-10T15:29:30.000Z');
  t.equal(parseTimeArg('today', now).toISOString(), '2026-03-10T00:00:00.000Z');
  t.equal(parseTimeArg('Yesterday', now).toISOString(), '2026-03-09T00:00:00.000Z');
  t.equal(parseTimeArg('now', now).toISOString(), now.toISOString());
  t.equal(parseTimeArg('2025-03-01', now).toISOString(), '2025-03-01T00:00:00.000Z');
  t.equal(parseTimeArg('2025-03-01T12:00:00Z', now).toISOString(), '2025-03-01T12:00:00.000Z');
});

t.test('cli times: anything else is an error that lists the accepted forms', async (t) => {
  for (const bad of ['', '24', 'h', '3 days', 'last week', '1y', 'March 1', '12:00', '2025-13-45']) {
    t.throws(() => parseTimeArg(bad, now), { message: /ISO date or time.*24h, 7d.*yesterday/ }, JSON.stringify(bad));
  }
});
