import { app } from '@azure/functions';
import { prepareStore } from '../shared/composition';

// Before the first invocation: an emulator's database and containers exist (see prepareStore).
app.hook.appStart(prepareStore);
