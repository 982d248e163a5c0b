/**
 * The series of a metric submission read straight from its bytes (pure): one validating pass, no
 * JSON.parse, no object per point, and a tag becomes a string only when someone asks for it.
 *
 * It answers only where it reads the body exactly as JSON.parse would (last member wins, `series`
 * elements that are not objects skipped, non-string tags ignored). Anything else — a member name
 * with escapes, a resource field that is neither a string nor null, many tags, deep nesting,
 * invalid JSON — makes it answer null, and the caller reads that body the slow way.
 */
import { decode, JSON_BAIL, JsonCursor, type Range } from './json-cursor.js';
import { seriesIdOf } from './series-id.js';
import { ByteKey, idOfByteKey, MAX_BYTE_SORTED_TAGS, OneResource } from './series-id-bytes.js';

/** One series as payload.ts's SeriesRef describes it. */
export interface ScannedSeries {
  readonly index: number;
  readonly metric: string;
  readonly id: string;
  readonly tags: readonly string[];
}

export interface ScannedSubmission {
  readonly metricPoints: number;
  /** null: the document has no `series` array (its last `series` member is not one). */
  readonly series: ScannedSeries[] | null;
}

/** How object() hands on members: read as a series, a resource or the document. */
const enum Members {
  Series = 1,
  Resource,
  Document,
}

const enum SeriesField {
  Other,
  Metric,
  Points,
  Tags,
  Host,
  Resources,
}

/** A resource element: an object's type and name (start -1: absent or null), or what a non-object reads as. */
type Resource = { kind: 'object'; type: Range; name: Range } | { kind: 'array' } | { kind: 'other' };

/** A scanned series: metric and tags are decoded from the body's bytes on first use. */
class LazySeries implements ScannedSeries {
  private metricText: string | undefined = undefined;
  private tagTexts: string[] | undefined = undefined;
  constructor(
    private readonly body: Uint8Array,
    readonly index: number,
    readonly id: string,
    private readonly metricRange: Range,
    /** [start, end, flags] of each tag as sent. */
    private readonly tagRanges: readonly number[],
  ) {}
  get metric(): string {
    return (this.metricText ??= decode(this.body, this.metricRange[0], this.metricRange[1], this.metricRange[2]));
  }
  get tags(): readonly string[] {
    if (this.tagTexts === undefined) {
      const r = this.tagRanges;
      const tags: string[] = [];
      for (let i = 0; i < r.length; i += 3) tags.push(decode(this.body, r[i]!, r[i + 1]!, r[i + 2]!));
      this.tagTexts = tags;
    }
    return this.tagTexts;
  }
}

/** Reads a submission's series; the JSON grammar itself is JsonCursor's. */
class Scanner extends JsonCursor {
  /** Points of the `series` array being read. */
  points = 0;
  // The series object being read (last member wins, as in JSON.parse).
  metric: Range = [-1, 0, 0];
  seriesPoints = 0;
  /** [start, end, flags] per string tag. */
  tags: number[] = [];
  host: Range = [-1, 0, 0];
  /** null: no resources array; else one entry per element as resourceKeys reads it. */
  resources: Resource[] | null = null;
  /** The resource object being read. */
  resource: Resource & { kind: 'object' } = { kind: 'object', type: [-1, 0, 0], name: [-1, 0, 0] };
  // The document's last `series` member.
  found: ScannedSeries[] | null = null;
  foundPoints = 0;
  /** The byte ranges of the series key being read (stride 3: tags are [start, end, flags]). */
  readonly key = Object.assign(new ByteKey(), { stride: 3 });

  override member(members: number, start: number, end: number): void {
    if (members === Members.Series) this.seriesMember(start, end);
    else if (members === Members.Resource) this.resourceMember(start, end);
    else this.documentMember(start, end);
  }

  documentMember(start: number, end: number): void {
    if (!this.named(start, end, 'series')) {
      this.value(1);
      return;
    }
    this.found = null;
    this.foundPoints = 0;
    if (this.b[this.p] !== 0x5b) {
      this.value(1);
      return;
    }
    this.points = 0;
    this.found = this.seriesArray();
    this.foundPoints = this.points;
  }

  seriesArray(): ScannedSeries[] {
    const out: ScannedSeries[] = [];
    if (!this.enter(0x5d)) return out;
    let index = 0;
    do {
      if (this.b[this.p] === 0x7b) {
        const s = this.seriesObject(index);
        if (s !== null) out.push(s);
      } else this.value(1);
      index++;
    } while (this.more(0x5d));
    return out;
  }

  /** One element of `series` that is an object: its series (null without a string metric); its points are added up. */
  seriesObject(index: number): ScannedSeries | null {
    this.metric = [-1, 0, 0];
    this.seriesPoints = 0;
    this.tags = [];
    this.host = [-1, 0, 0];
    this.resources = null;
    this.object(2, Members.Series);
    this.points += this.seriesPoints;
    const metric = this.metric;
    if (metric[0] < 0) return null;
    const tags = this.tags;
    const tagCount = tags.length / 3;
    let all = metric[2] | (this.host[0] < 0 ? 0 : this.host[2]);
    for (let t = 0; t < tagCount; t++) all |= tags[t * 3 + 2]!;
    const resources = this.resources as Resource[] | null; // object() set it: the compiler does not follow that
    if (resources !== null) for (const r of resources) all |= resourceFlags(r);
    const bytewise = all === 0 && tagCount <= MAX_BYTE_SORTED_TAGS && (resources === null || resources.length <= 1);
    const id = bytewise ? this.idFromBytes(tagCount) : this.idFromStrings(tagCount);
    return new LazySeries(this.b, index, id, metric, tags);
  }

  /** Which member of a series object the name at [start, end) is. */
  seriesField(start: number, end: number): SeriesField {
    switch (end - start) {
      case 4:
        return this.named(start, end, 'tags') ? SeriesField.Tags : this.named(start, end, 'host') ? SeriesField.Host : SeriesField.Other;
      case 6:
        return this.named(start, end, 'metric') ? SeriesField.Metric : this.named(start, end, 'points') ? SeriesField.Points : SeriesField.Other;
      case 9:
        return this.named(start, end, 'resources') ? SeriesField.Resources : SeriesField.Other;
      default:
        return SeriesField.Other;
    }
  }

  seriesMember(start: number, end: number): void {
    const c = this.b[this.p];
    const field = this.seriesField(start, end);
    if (field === SeriesField.Other) this.value(2);
    else if (field === SeriesField.Metric) {
      if (c === 0x22) this.stringInto(this.metric);
      else {
        this.value(2);
        this.metric[0] = -1;
      }
    } else if (field === SeriesField.Points) {
      const count = this.value(2);
      this.seriesPoints = c === 0x5b ? count : 0;
    } else if (field === SeriesField.Tags) {
      this.tags = [];
      if (c === 0x5b) this.tagList();
      else this.value(2);
    } else if (field === SeriesField.Host) {
      if (c === 0x22) this.stringInto(this.host);
      else {
        this.value(2);
        this.host[0] = -1;
      }
    } else if (c === 0x5b) this.resources = this.resourceList();
    else {
      this.value(2);
      this.resources = null;
    }
  }

  tagList(): void {
    if (!this.enter(0x5d)) return;
    const tags = this.tags;
    do {
      if (this.b[this.p] === 0x22) {
        const s = this.p + 1;
        const e = this.string();
        tags.push(s, e, this.flags);
      } else this.value(3);
    } while (this.more(0x5d));
  }

  resourceList(): Resource[] {
    const list: Resource[] = [];
    if (!this.enter(0x5d)) return list;
    do {
      const c = this.b[this.p];
      if (c === 0x7b) {
        const r = { kind: 'object' as const, type: [-1, 0, 0] as Range, name: [-1, 0, 0] as Range };
        this.resource = r;
        this.object(3, Members.Resource);
        list.push(r);
      } else {
        list.push(c === 0x5b ? { kind: 'array' } : { kind: 'other' });
        this.value(3);
      }
    } while (this.more(0x5d));
    return list;
  }

  resourceMember(start: number, end: number): void {
    const field = this.named(start, end, 'type') ? this.resource.type : this.named(start, end, 'name') ? this.resource.name : null;
    if (field === null) this.value(4);
    else if (this.b[this.p] === 0x22) this.stringInto(field);
    else if (this.b[this.p] === 0x6e) {
      this.literal('null');
      field[0] = -1;
    } else throw JSON_BAIL; // String() of a number, boolean or object: the slow path reads it
  }

  /** hash64 of the series key, fed from the ASCII bytes themselves (the same code units seriesIdOf feeds). */
  idFromBytes(tagCount: number): string {
    const k = this.key;
    k.metricStart = this.metric[0];
    k.metricEnd = this.metric[1];
    k.tags = this.tags;
    k.tagCount = tagCount;
    k.hostStart = this.host[0];
    k.hostEnd = this.host[1];
    const resources = this.resources;
    const r = resources !== null && resources.length > 0 ? resources[0]! : null;
    k.resource = resources === null ? OneResource.NoArray : r === null ? OneResource.Empty : r.kind === 'object' ? OneResource.Object : r.kind === 'array' ? OneResource.ArrayElement : OneResource.OtherElement;
    if (r?.kind === 'object') {
      [k.typeStart, k.typeEnd] = r.type;
      [k.nameStart, k.nameEnd] = r.name;
    }
    return idOfByteKey(this.b, k);
  }

  /** The id from decoded strings: any escape, non-ASCII text, many tags or several resources. */
  idFromStrings(tagCount: number): string {
    const b = this.b;
    const tags: string[] = [];
    for (let t = 0; t < tagCount; t++) tags.push(decode(b, this.tags[t * 3]!, this.tags[t * 3 + 1]!, this.tags[t * 3 + 2]!));
    const text = (x: Range) => (x[0] < 0 ? '' : decode(b, x[0], x[1], x[2]));
    const key = (r: Resource) => (r.kind === 'array' ? ':' : r.kind === 'other' ? '' : `${text(r.type)}:${text(r.name)}`);
    return seriesIdOf(text(this.metric), tags, text(this.host), this.resources === null ? null : this.resources.map(key));
  }
}

function resourceFlags(r: Resource): number {
  return r.kind === 'object' ? (r.type[0] < 0 ? 0 : r.type[2]) | (r.name[0] < 0 ? 0 : r.name[2]) : 0;
}

/** The submission's series and points, or null when only JSON.parse can say (see the file comment). */
export function scanSubmission(body: Uint8Array): ScannedSubmission | null {
  const s = new Scanner(body, body.length);
  s.p = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  try {
    s.ws();
    if (body[s.p] !== 0x7b) return null;
    s.object(0, Members.Document);
    s.ws();
    if (s.p !== body.length) return null;
    return { metricPoints: s.found === null ? 0 : s.foundPoints, series: s.found };
  } catch (e) {
    if (e === JSON_BAIL || e instanceof RangeError) return null;
    throw e;
  }
}
