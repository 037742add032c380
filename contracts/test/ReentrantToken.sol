// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken (tests only)
/// @notice An ERC-20 that, once armed, calls `target` with `callData` in the middle of its next transfer
///         and bubbles up any revert. Used to show that Settlement's `nonReentrant` stops a token that
///         re-enters `settleBatch` or `claim`. Never deploy outside tests.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public callData;
    bool public armed;
    /// @notice Whether the last armed re-entry call succeeded (it must not).
    bool public reentered;

    constructor() ERC20("Reentrant Test Token", "RENT") {}

    /// @notice Anyone can mint: test token.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms one re-entry: during the next transfer, `target.call(data)`.
    function arm(address target_, bytes calldata data) external {
        target = target_;
        callData = data;
        armed = true;
    }

    /// @notice Cancels an armed re-entry.
    function disarm() external {
        armed = false;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (armed && from != address(0) && to != address(0)) {
            armed = false;
            (bool ok, bytes memory ret) = target.call(callData);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
            reentered = true;
        }
    }
}
