import type { Command } from '../context';
import { audit, auditExport } from './audit';
import { login } from './login';
import { policiesCreate, policiesDelete, policiesList, policiesShow, policiesUpdate } from './policies';
import { approve, cancel, complete, list, reject, show, submit } from './requests';
import { wait } from './wait';

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  login,
  submit,
  list,
  show,
  approve,
  reject,
  cancel,
  complete,
  wait,
  audit,
  auditExport,
  policiesList,
  policiesShow,
  policiesCreate,
  policiesUpdate,
  policiesDelete,
];
