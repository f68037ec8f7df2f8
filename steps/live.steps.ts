// Live pushes over WebSocket through a Service: a subscriber keeps every
// message it is pushed, for the checks of the service that pushes them.
import { When } from '@cucumber/cucumber';
import { LiveSubscriber } from '../support/traffic/live-subscriber.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** A WebSocket client on a path of a Service, e.g. `a client subscribes to "/ws" of "newsfeed"`; closed at the end of the scenario. */
When('a client subscribes to {string} of {string}', async function (this: CutoverWorld, pathText: string, service: string) {
  if (this.subscriber !== undefined) throw new Error('a client already subscribed in this scenario');
  const url = this.session.platform.serviceUrl(service).replace(/^http/, 'ws') + pathText;
  const live = await LiveSubscriber.connect(url);
  this.subscriber = live;
  this.session.onCleanup(`subscriber ${url}`, () => live.close());
});
