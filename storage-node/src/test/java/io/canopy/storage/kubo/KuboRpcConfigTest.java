package io.canopy.storage.kubo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

class KuboRpcConfigTest {
  @Test
  void acceptsUrlsAndTheMultiaddrsKuboWritesToItsApiFile() {
    assertThat(KuboRpcConfig.parseApiAddress("http://127.0.0.1:5001")).isEqualTo(URI.create("http://127.0.0.1:5001"));
    assertThat(KuboRpcConfig.parseApiAddress("http://127.0.0.1:5001/api/v0/")).isEqualTo(URI.create("http://127.0.0.1:5001"));
    assertThat(KuboRpcConfig.parseApiAddress("https://ipfs.example")).isEqualTo(URI.create("https://ipfs.example:443"));
    assertThat(KuboRpcConfig.parseApiAddress("/ip4/127.0.0.1/tcp/5001")).isEqualTo(URI.create("http://127.0.0.1:5001"));
    assertThat(KuboRpcConfig.parseApiAddress("/ip4/127.0.0.1/tcp/44525/http")).isEqualTo(URI.create("http://127.0.0.1:44525"));
    assertThat(KuboRpcConfig.parseApiAddress("/ip6/::1/tcp/5001")).isEqualTo(URI.create("http://[::1]:5001"));
    assertThat(KuboRpcConfig.parseApiAddress("/dns4/kubo.local/tcp/5001/https")).isEqualTo(URI.create("https://kubo.local:5001"));
  }

  @Test
  void rejectsWhatIsNotAnApiAddress() {
    assertThatThrownBy(() -> KuboRpcConfig.parseApiAddress("ftp://x:1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KuboRpcConfig.parseApiAddress("/ip4/127.0.0.1/udp/5001")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KuboRpcConfig.parseApiAddress("/ip4/127.0.0.1/tcp/99999")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KuboRpcConfig.parseApiAddress("/unix/tmp/api.sock")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void defaultsLiveInOnePlace() {
    KuboRpcConfig c = KuboRpcConfig.builder().build();
    assertThat(c.apiUrl()).isEqualTo(KuboRpcConfig.DEFAULT_API_URL);
    assertThat(c.requestTimeout()).isEqualTo(KuboRpcConfig.DEFAULT_REQUEST_TIMEOUT);
    assertThat(c.maxJsonBytes()).isEqualTo(KuboRpcConfig.DEFAULT_MAX_JSON_BYTES);
    assertThat(c.dialect()).isEmpty();
    assertThat(c.authorization()).isEmpty();
  }
}
