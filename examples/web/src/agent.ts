// The agent page on the modern API: serve the first queue, accept each offer, finish.
import { connect, LineupError, type QueUser } from 'lineup-sdk';
import { token } from './token';

const $ = (id: string) => document.getElementById(id)!;
const log = (line: string) => { $('log').textContent += line + '\n'; };

const userID = 'agent-' + Date.now();
const agent = await connect({ server: location.origin, token: await token(userID, 'Ann', 'agent'), userID });
const { queues } = await agent.initQueueDat();
let current: QueUser | null = null;

agent.on('AutoAssignUser', async (user) => {
  try {
    await agent.acceptAssignUser(user.queID, user.usrID);
    current = user;
    $('customer').textContent = user.usrID;
    ($('finish') as HTMLButtonElement).disabled = false;
  } catch (e) {
    log(e instanceof LineupError ? `accept failed: ${e.code} ${e.message}` : String(e));
  }
});
agent.on('CancelAssignUser', ({ usrID, reason }) => log(`offer of ${usrID} withdrawn: ${reason}`));
$('finish').onclick = async () => {
  if (!current) return;
  await agent.finishService(current.queID, current.usrID);
  current = null;
  $('customer').textContent = 'none';
  ($('finish') as HTMLButtonElement).disabled = true;
};
await agent.startService(queues[0].queID, 0);
$('state').textContent = `${agent.state}, serving ${queues[0].name}`;
