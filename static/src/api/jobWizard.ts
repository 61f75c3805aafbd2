// The job wizard's routes (docs/api.md, "Jobs"): the live name check and the destination grid.
// The shapes are generated from the Go types (tools/tsgen); this file names them for the wizard.

import type * as G from './generated';
import type { NewJob } from './types';

export type {
  ChangedColumn,
  ColumnMode,
  ColumnOverride,
  Compatibility,
  Dest as WizardDest,
  Destination,
  DestinationColumn,
  NameCheck,
  TimePartition,
} from './generated';

/** The draft job as POST /api/jobs takes it (an empty dataset or table: the server's default). */
export type WizardJob = NewJob;

export type DestinationRequest = Omit<G.DestinationRequest, 'job'> & { job: WizardJob };
