import * as df from 'durable-functions';
import { getServices, type Services } from '../../shared/composition';
import { Activities } from '../names';
import { makeAuthorizeCommand } from './authorizeCommand';
import { makeCommandStep } from './commandStep';
import { makeExecuteOperation } from './executeOperation';
import { makeExecuteStep } from './executeStep';
import { makeNotify } from './notify';
import { makeObserveExecution } from './observeExecution';
import { makeRecordObservation } from './recordObservation';
import { makeRecordRedrive } from './recordRedrive';
import { makeReadAppRoles } from './readAppRoles';
import { makeRecordStep } from './recordStep';

/**
 * Registers the activity `name`, its handler built by `build` from the app's services on the
 * first call and reused by every later one. Built on first use, so loading the app opens no store
 * and reads no settings; a build that fails (the store not reachable yet) is tried again on the
 * next call.
 */
function activity<I, O>(name: string, build: (services: Services) => (input: I) => Promise<O>): void {
  let handler: ((input: I) => Promise<O>) | undefined;
  df.app.activity(name, { handler: (input: I) => (handler ??= build(getServices()))(input) });
}

// Every activity of the app, registered here and nowhere else.
const recordStepOf = ({ store, appKeys, directory, notifiers, links }: Services) =>
  makeRecordStep(store, appKeys, makeNotify({ directory, notifiers, links }));
const executeStepOf = (services: Services) =>
  makeExecuteStep({
    executorFor: services.executorFor,
    store: services.store,
    record: recordStepOf(services),
    now: services.now,
  });
activity(Activities.recordStep, recordStepOf);
// The step that completes a request executes it in the same activity (the executeStep handler).
activity(Activities.commandStep, (services) =>
  makeCommandStep({
    keys: services.appKeys,
    directory: services.directory,
    store: services.store,
    record: recordStepOf(services),
    execute: executeStepOf(services),
  }),
);
activity(Activities.executeStep, executeStepOf);
activity(Activities.authorizeCommand, ({ appKeys, directory, store }) =>
  makeAuthorizeCommand(appKeys, directory, store),
);
activity(Activities.executeOperation, ({ executorFor, store, now }) => makeExecuteOperation(executorFor, store, now));
activity(Activities.recordRedrive, ({ store }) => makeRecordRedrive(store));
activity(Activities.observeExecution, ({ executorFor, store, now }) => makeObserveExecution(executorFor, store, now));
activity(Activities.recordObservation, ({ store }) => makeRecordObservation(store));
activity(Activities.readAppRoles, ({ directory }) => makeReadAppRoles(directory));
