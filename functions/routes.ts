import { app, type HttpFunctionOptions } from '@azure/functions';
import * as df from 'durable-functions';
import { RouteTable, type HttpMethod } from '../shared/http/routeTable';

/**
 * Every HTTP function registers through {@link httpRoute} or {@link clientHttpRoute}, so
 * {@link APP_ROUTES} is the app's route table: the catch-all (`routeFallback.ts`) answers 405 and
 * 404 from it.
 */
export const APP_ROUTES = new RouteTable();

/** Route and methods are required here (the programming model would default them). */
interface Routed {
  route: string;
  methods: HttpMethod[];
}

/** `app.http`, recorded in {@link APP_ROUTES}. */
export function httpRoute(name: string, options: HttpFunctionOptions & Routed): void {
  APP_ROUTES.add({ name, route: options.route, methods: options.methods });
  app.http(name, options);
}

/** `df.app.client.http`, recorded in {@link APP_ROUTES}. */
export function clientHttpRoute(name: string, options: df.HttpDurableClientOptions & Routed): void {
  APP_ROUTES.add({ name, route: options.route, methods: options.methods });
  df.app.client.http(name, options);
}
