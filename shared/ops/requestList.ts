import type { RequestFilters } from '../store/store';
import { nextDay, startOfDay } from '../views/time';
import type { RequestListFilters } from './dashboardHtml';
import type { DashboardRequestsQuery } from './schemas';

// The dashboard's request list: its query (what the form sends) as the store's search filters.

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The store filters of a dashboard list query shown in `zone`: a day in `createdFrom` starts at
 * that day's midnight in the zone; a day in `createdTo` includes the whole day (the filter ends
 * where the next day starts); instants are normalised to UTC.
 */
export function requestFiltersOf(query: DashboardRequestsQuery, zone: string): RequestFilters {
  // Instants are compared as the stores hold them: UTC with milliseconds (`toISOString`).
  const from =
    query.createdFrom &&
    (DAY.test(query.createdFrom) ? startOfDay(query.createdFrom, zone) : new Date(query.createdFrom).toISOString());
  const to =
    query.createdTo &&
    (DAY.test(query.createdTo) ? startOfDay(nextDay(query.createdTo), zone) : new Date(query.createdTo).toISOString());
  return {
    ...(query.status ? { status: query.status } : {}),
    ...(query.profileType ? { profileType: query.profileType } : {}),
    ...(query.initiator ? { initiatorId: query.initiator } : {}),
    ...(query.target ? { target: query.target } : {}),
    ...(from ? { createdFrom: from } : {}),
    ...(to ? { createdTo: to } : {}),
  };
}

/** The query as the list's form shows it again (every field a string, empty when unset). */
export function formFiltersOf(query: DashboardRequestsQuery): RequestListFilters {
  return {
    status: query.status ?? '',
    profileType: query.profileType ?? '',
    initiator: query.initiator ?? '',
    target: query.target ?? '',
    createdFrom: query.createdFrom ?? '',
    createdTo: query.createdTo ?? '',
    top: query.top === 25 ? '' : String(query.top),
  };
}
