import type { ReactNode } from 'react';
import { hue } from '../format.js';

interface Props {
  kind: 'service' | 'environment' | 'log';
  children: string;
}

/** A small label; services get a colour of their own, so the same service looks the same everywhere. */
export function Badge({ kind, children }: Props): ReactNode {
  const colour = kind === 'service' ? ` hue-${hue(children)}` : '';
  return <span className={`badge badge-${kind}${colour}`}>{children}</span>;
}
