package io.canopy.cli;

import io.canopy.cli.rpc.RpcCall;
import io.canopy.cli.rpc.RpcServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The daemon's compute route {@code model/ls}: {@code {"Models": [{"Name","Source","State","Cid","Tasks","Error"}]}}. */
final class ComputeRoutes {
  private ComputeRoutes() {}

  static void register(RpcServer api, ComputeService compute) {
    api.route(DaemonRoutes.PREFIX + "model/ls", call -> list(call, compute));
  }

  private static void list(RpcCall call, ComputeService compute) throws java.io.IOException {
    List<Object> models = new ArrayList<>();
    for (ComputeService.ModelState m : compute.models()) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("Name", m.name());
      j.put("Source", m.source());
      j.put("State", m.state());
      j.put("Cid", m.cid());
      j.put("Tasks", m.tasks());
      j.put("Error", m.error());
      models.add(j);
    }
    call.respondJson(Map.of("Models", models));
  }
}
