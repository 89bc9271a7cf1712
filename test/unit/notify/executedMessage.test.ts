import type { ApprovalRequest } from '../../../shared/domain/model';
import { audienceOf } from '../../../shared/domain/notifications';
import { buildMessage } from '../../../shared/notify/messages';
import { alice, wipe } from './fixtures';

const ran = (execution: ApprovalRequest['execution']): ApprovalRequest => ({
  ...wipe(),
  status: 'completed',
  completedAt: '2026-01-01T10:00:00.000Z',
  ...(execution === undefined ? {} : { execution }),
});

const message = (request: ApprovalRequest) =>
  buildMessage({
    id: 'n-9:alice',
    kind: 'executed',
    at: '2026-01-01T10:00:01.000Z',
    request,
    recipient: { ...alice, address: 'alice@maa.test' },
    apiBaseUrl: 'https://maa.contoso.com',
  });

describe('the "what ran" message of a request completed on approval', () => {
  it('goes to the initiator only', () => {
    expect(audienceOf(wipe(), 'executed')).toEqual({ initiator: true, approvers: 'none' });
  });

  it('tells the initiator it ran and how it went, with where to see each step', () => {
    const request = ran({ status: 'succeeded', at: '2026-01-01T10:00:00.000Z', detail: 'wipe sent', code: 'accepted' });
    const sent = message(request);
    expect(sent.subject).toBe('Executed: wipe managedDevice laptop-42');
    expect(sent.text).toContain('the service completed it on approval: it succeeded.');
    expect(sent.text).toContain('Outcome: wipe sent (accepted)');
    expect(sent.text).toContain(`GET https://maa.contoso.com/api/requests/${request.id}/audit`);
    expect(sent.text).not.toContain('/complete');
  });

  it('says Failed when the execution failed', () => {
    const sent = message(
      ran({ status: 'failed', at: '2026-01-01T10:00:00.000Z', detail: 'Graph said no', code: 'graph_rejected' }),
    );
    expect(sent.subject).toBe('Failed: wipe managedDevice laptop-42');
    expect(sent.text).toContain('it failed.');
    expect(sent.text).toContain('Outcome: Graph said no (graph_rejected)');
  });
});
