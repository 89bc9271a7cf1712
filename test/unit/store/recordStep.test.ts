import type { ApprovalRequest } from '../../../shared/domain/model';
import { headIsCurrent, staleStepVerdict, type StaleStepVerdict } from '../../../shared/store/recordStep';
import { withHead } from '../../../shared/store/store';
import { requestIn } from '../../support/builders';

const head = (seq: number) => ({ seq, hash: String(seq).repeat(64).slice(0, 64) });

/** `request` with its keys in reverse order: the same JSON value, written differently. */
function reordered(request: ApprovalRequest): ApprovalRequest {
  return Object.fromEntries(Object.entries(request).reverse()) as unknown as ApprovalRequest;
}

describe('staleStepVerdict', () => {
  const step = withHead(requestIn('approved'), head(3));

  it.each<[string, ApprovalRequest, boolean, StaleStepVerdict]>([
    ['already shows this step', step, false, 'keep'],
    ['already shows this step, its keys in another order', reordered(step), false, 'keep'],
    [
      'shows an older step, and no later record exists',
      withHead(requestIn('needsApproval'), head(0)),
      false,
      'overwrite',
    ],
    ['shows the same status with an older head', withHead(requestIn('approved'), head(2)), false, 'overwrite'],
    [
      'shows a later step (a late duplicate of this one arrives)',
      withHead(requestIn('completed'), head(5)),
      true,
      'keep',
    ],
    ['differs, but the trail holds a later record', withHead(requestIn('needsApproval'), head(0)), true, 'keep'],
  ])('when the stored read model %s: %s', (_, stored, hasLaterRecord, verdict) => {
    expect(staleStepVerdict(stored, step, hasLaterRecord)).toBe(verdict);
  });

  it.each<[string, ApprovalRequest, StaleStepVerdict | 'readTrail']>([
    ['already shows this step', step, 'keep'],
    ['already shows this step, its keys in another order', reordered(step), 'keep'],
    ['shows another step', withHead(requestIn('needsApproval'), head(0)), 'readTrail'],
  ])('asks for the trail only when needed: a read model that %s gives %s', (_, stored, verdict) => {
    expect(staleStepVerdict(stored, step)).toBe(verdict);
  });
});

describe('headIsCurrent', () => {
  it.each<[string, ApprovalRequest['trail'], boolean]>([
    ['no head yet', undefined, false],
    ['an older head', head(2), false],
    ['the same head', head(3), true],
    ['a newer head', head(4), true],
  ])('a read model with %s is current for a step ending at 3: %s', (_, trail, current) => {
    expect(headIsCurrent(trail === undefined ? {} : { trail }, head(3))).toBe(current);
  });
});
