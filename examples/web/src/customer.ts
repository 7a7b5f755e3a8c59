// The customer page on the modern API: join the first queue, show the position.
import { connect } from 'lineup-sdk';
import { token } from './token';

const $ = (id: string) => document.getElementById(id)!;

const userID = 'customer-' + Date.now();
const customer = await connect({ server: location.origin, token: await token(userID, 'Bob', 'customer'), userID });
customer.on('QueuingInfoChanged', (info) => {
  if (info.queID >= 0) $('position').textContent = String(info.position);
  if (info.queID === -2) $('status').textContent = 'an agent is serving you';
});
const { queues } = await customer.initQueueDat();
await customer.startQueuing(queues[0].queID, 'from the example app');
$('status').textContent = 'waiting';
