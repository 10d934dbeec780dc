/** What the timeline's last frame drew: read by the pointer, the keyboard and the tests' mirrors. */
import type { Hit } from './hits.ts';
import type { TimelineLayout } from './layout.ts';
import type { Scale } from './scale.ts';

export interface Frame {
  now: number;
  layout: TimelineLayout;
  scale: Scale;
  hits: Hit[];
  /** The height of the lanes' part of the canvas (without the axis). */
  lanesH: number;
}
