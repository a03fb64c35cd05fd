import { createRouter } from "../../http/router";
import { listUpstreams } from "./upstreams.handlers";
import { listUpstreamsRoute } from "./upstreams.routes";

export const adminUpstreamsRouter = createRouter().openapi(listUpstreamsRoute, listUpstreams);
