// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title Tributary Test OPEN (tOPEN)
/// @notice An ERC-20 with EIP-2612 permit that stands in for OpenLedger's OPEN token on local chains.
///         18 decimals. Only the deployer (owner) can mint. It has no value: never deploy it as "OPEN".
contract TestToken is ERC20, ERC20Permit, Ownable {
    constructor() ERC20("Tributary Test OPEN", "tOPEN") ERC20Permit("Tributary Test OPEN") Ownable(msg.sender) {}

    /// @notice Creates `amount` base units for `to`. Owner only.
    /// @param to The receiver of the new tokens.
    /// @param amount The amount in base units (18 decimals).
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
