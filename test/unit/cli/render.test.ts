import { requestDetail } from '../../../cli/render';
import type { ApprovalRequest } from '../../../shared/domain/model';
import { previewOf } from '../../../shared/views/change';
import { wipe } from '../notify/fixtures';

const POLICY = 'c0a10000-0000-4000-8000-000000000001';

/** A request as `GET /api/requests/{id}` answers it: with its preview. */
function viewOf(request: ApprovalRequest) {
  return { ...request, preview: previewOf(request) } as Parameters<typeof requestDetail>[0];
}

describe('maa show', () => {
  it('prints the target by name, what changes and the exact calls with the hash they are bound to', () => {
    const request: ApprovalRequest = {
      ...wipe(),
      profileType: 'compliancePolicy',
      operation: {
        action: 'update',
        resourceType: 'deviceCompliancePolicy',
        resourceId: POLICY,
        payload: { policyType: 'windows10CompliancePolicy', settings: { passwordMinimumLength: 14 } },
      },
      target: {
        resourceType: 'deviceCompliancePolicy',
        id: POLICY,
        displayName: 'Windows 10/11 baseline',
        readAt: '2026-01-01T08:59:00.000Z',
        version: '3',
        settings: { passwordMinimumLength: 12 },
        assignments: [],
        fingerprint: 'f'.repeat(64),
      },
    };
    const text = requestDetail(viewOf(request));
    expect(text).toMatch(/^what: +update deviceCompliancePolicy Windows 10\/11 baseline$/m);
    expect(text).toContain("Change a device compliance policy's names and settings (the others stay)\n");
    expect(text).toContain('What changes:\n  passwordMinimumLength: 12 -> 14 (changed)\n');
    expect(text).toContain(
      `Graph calls completion will send (operation hash ${request.operationHash}):\n  PATCH /v1.0/deviceManagement/deviceCompliancePolicies/${POLICY} {"@odata.type":"#microsoft.graph.windows10CompliancePolicy","passwordMinimumLength":14}\n`,
    );
  });

  it('prints a bulk action as a device table, with the quorum in words and auto-complete', () => {
    const ids = ['dev-1', 'dev-2'];
    const request = wipe(2);
    const bulk: ApprovalRequest = {
      ...request,
      profileType: 'deviceRetire',
      operation: { action: 'retire', resourceType: 'managedDevice', resourceIds: ids },
      targets: ids.map((id, n) => ({
        resourceType: 'managedDevice',
        id,
        displayName: `LT-${n + 1}`,
        readAt: '2026-01-01T08:59:00.000Z',
        device: {
          operatingSystem: 'Windows',
          osVersion: '11',
          userPrincipalName: `user${n + 1}@maa.test`,
          userDisplayName: `User ${n + 1}`,
          ownership: 'company',
          complianceState: 'compliant',
          lastSyncDateTime: '2026-01-01T07:00:00.000Z',
          managementState: 'managed',
        },
        fingerprint: 'f'.repeat(64),
      })),
      policy: {
        ...request.policy,
        completion: 'onApproval',
        quorum: {
          baseApprovals: 1,
          rule: { minDevices: 2, requiredApprovals: 2 },
          scope: { devices: 2, assignsToAll: false },
          text: 'needs 2 approvals because it affects 2 devices',
        },
      },
    };
    const text = requestDetail(viewOf(bulk));
    expect(text).toMatch(/^what: +retire 2 devices$/m);
    expect(text).toMatch(/^quorum: +needs 2 approvals because it affects 2 devices$/m);
    expect(text).toMatch(/^completion: +runs as soon as approved$/m);
    expect(text).toMatch(/^LT-2 +user2@maa\.test +Windows 11 +compliant +2026-01-01 07:00:00Z$/m);
    expect(text).toContain('  POST /v1.0/deviceManagement/managedDevices/dev-2/retire');
  });
});
