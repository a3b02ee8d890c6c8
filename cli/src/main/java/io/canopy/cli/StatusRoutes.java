package io.canopy.cli;

import io.canopy.cli.rpc.RpcServer;

/** The daemon's {@code status} route: {@code POST /api/v0/status} answers the {@link NodeStatus} document. */
final class StatusRoutes {
  private StatusRoutes() {}

  static void register(RpcServer api, NodeStatus status) {
    api.route(DaemonRoutes.PREFIX + "status", call -> call.respondJson(status.document()));
  }
}
