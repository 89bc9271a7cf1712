import * as df from 'durable-functions';
import { config } from '../../shared/config';
import { getIdentity, getNotifiers, getServices } from '../../shared/composition';
import type { ApprovalRequest, ProfileType } from '../../shared/domain/model';
import { NoneExecutor, type Executor } from '../../shared/execute/executor';
import { PolicyExecutor } from '../../shared/execute/policyExecutor';
import { WebhookExecutor } from '../../shared/execute/webhookExecutor';
import type { AuthorizeCommandInput, NotifyInput, RecordStepInput } from '../contracts';
import { Activities } from '../names';
import { makeAuthorizeCommand } from './authorizeCommand';
import { makeExecuteOperation } from './executeOperation';
import { makeNotify, type NotifyDeps } from './notify';
import { makeRecordStep } from './recordStep';

let executors: ((profileType: ProfileType) => Executor) | undefined;

/** The executor per profile type: policy changes apply themselves; the webhook for configured types; `none` otherwise. */
function executorFor(profileType: ProfileType): Executor {
  if (!executors) {
    const { webhook } = config().executors;
    const policy = new PolicyExecutor(getServices().store);
    const none = new NoneExecutor();
    const hook = webhook ? new WebhookExecutor({ url: webhook.url, secret: webhook.secret }) : undefined;
    executors = (type) =>
      type === 'operationApprovalPolicy' ? policy : hook && webhook!.profileTypes.includes(type) ? hook : none;
  }
  return executors(profileType);
}

let notifyDeps: NotifyDeps | undefined;

/** The configured channels and the links they carry. */
function notifications(): NotifyDeps {
  if (!notifyDeps) {
    notifyDeps = { directory: getIdentity().directory, notifiers: getNotifiers(), links: config().links };
  }
  return notifyDeps;
}

// Activities are built on first use, so loading the app opens no store and reads no settings.
df.app.activity(Activities.recordStep, {
  handler: (input: RecordStepInput) => makeRecordStep(getServices().store, config().appKeys)(input),
});
df.app.activity(Activities.authorizeCommand, {
  handler: (input: AuthorizeCommandInput) => makeAuthorizeCommand(config().appKeys, getIdentity().directory)(input),
});
df.app.activity(Activities.executeOperation, {
  handler: (request: ApprovalRequest) => makeExecuteOperation(executorFor, getServices().store)(request),
});
df.app.activity(Activities.notify, { handler: (input: NotifyInput) => makeNotify(notifications())(input) });
