from tests.support import provider_servers

provider_server = provider_servers.provider_server
