// Every REST resource, in one list: app.ts registers each plugin in this order.
// To add a resource, give it a folder src/api/<resource>/ (schemas.ts + routes.ts)
// and add its plugin here.
import type { FastifyPluginAsync } from "fastify";
import healthRoutes from "./health/routes.js";
import queueRoutes from "./queues/routes.js";
import domainRoutes from "./domains/routes.js";
import listRoutes from "./lists/routes.js";
import memberRoutes from "./members/routes.js";
import userRoutes from "./users/routes.js";
import addressRoutes from "./addresses/routes.js";
import banRoutes from "./bans/routes.js";
import heldRoutes from "./held/routes.js";
import requestRoutes from "./requests/routes.js";
import bounceRoutes from "./bounces/routes.js";
import unsubscribeRoutes from "./unsubscribe/routes.js";
import archiveRoutes from "./archive/routes.js";
import templateRoutes from "./templates/routes.js";

export const routes: FastifyPluginAsync[] = [
  healthRoutes,
  queueRoutes,
  domainRoutes,
  listRoutes,
  memberRoutes,
  userRoutes,
  addressRoutes,
  banRoutes,
  heldRoutes,
  requestRoutes,
  bounceRoutes,
  unsubscribeRoutes,
  archiveRoutes,
  templateRoutes,
];
